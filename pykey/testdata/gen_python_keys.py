# Generates python-keys.golden.json: random arguments and the key
# component Python Ring 0.10.1's coerce() gives each, computed here with
# the expressions of Ring's ring/func/base.py (str(v).replace(' ', '') for
# lists and tuples, ','.join('{},{}'.format(k, v[k]) for k in sorted(v))
# for dicts, '{' + sorted elements + '}' for sets), so that CPython's own
# str() and repr() decide every quote, escape and float. The characters
# are chosen among those whose printability is the same in Unicode 14
# (CPython 3.11) and Go's tables.
# Run: python3 gen_python_keys.py > python-keys.golden.json
import json, math, random, sys

rng = random.Random(1015)
CHARS = ['a', 'Z', ' ', "'", '"', '\\', '\n', '\r', '\t', '\x00', '\x1b', '\x7f', '\x80', '\x9f',
         '\xa0', '\xad', '\u00e9', '\u0378', '\u2028', '\u200b', '\u3000', '\u65e5', '\ue000',
         '\ufeff', '\uffff', '\U0001F600', '\U000E0001', '\U0010FFFF', ':', ',', '[', '{']
FLOATS = [0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 1e-5, 1e-4, 1.5e300, 5e-324, 2.5, 1e22,
          float('inf'), float('-inf'), float('nan')]

def s():
    return ''.join(rng.choice(CHARS) for _ in range(rng.randrange(5)))

def scalar(floats=True):
    k = rng.randrange(6 if floats else 5)
    return [None, rng.random() < 0.5, rng.choice([0, -1, 7, 2**63 - 1, -2**63]), s(), s(),
            rng.choice(FLOATS)][k]

def seq(depth):
    n = rng.randrange(4)
    out = []
    for _ in range(n):
        r = rng.randrange(10)
        if r < 6 or depth > 2:
            out.append(scalar())
        elif r < 7:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(4))))
        elif r < 9:
            out.append(seq(depth + 1))
        else:
            out.append(tuple(seq(depth + 1)))
    return out

def tag(v):
    if v is None: return {"none": None}
    if isinstance(v, bool): return {"bool": v}
    if isinstance(v, int): return {"int": v}
    if isinstance(v, float):
        if math.isnan(v): return {"float": "nan"}
        if math.isinf(v): return {"float": "inf" if v > 0 else "-inf"}
        return {"float": v}
    if isinstance(v, str): return {"str": v}
    if isinstance(v, bytes): return {"bytes": v.hex()}
    if isinstance(v, list): return {"list": [tag(x) for x in v]}
    if isinstance(v, tuple): return {"tuple": [tag(x) for x in v]}
    if isinstance(v, dict): return {"dict": [[tag(k), tag(x)] for k, x in v.items()]}
    if isinstance(v, set): return {"set": [tag(x) for x in v]}

def coerce(v):  # Ring 0.10.1's coerce() for these types
    if isinstance(v, (list, tuple)):
        return str(v).replace(' ', '')
    if isinstance(v, dict):
        return ','.join(['{},{}'.format(k, v[k]) for k in sorted(v.keys())])
    if isinstance(v, set):
        return '{' + ','.join(["'{}'".format(e) if isinstance(e, str) else str(e) for e in sorted(v)]) + '}'
    if isinstance(v, bytes):
        return str(v)
    return str(v)

cases = []
for i in range(400):
    r = rng.randrange(6)
    if r < 2:
        v = seq(0)
    elif r == 2:
        v = tuple(seq(0))
    elif r == 3:
        v = bytes(rng.randrange(256) for _ in range(rng.randrange(6)))
    elif r == 4:
        # a dict of str keys; values: scalars or lists (str() of a list keeps its spaces)
        v = {s(): (scalar() if rng.random() < 0.7 else seq(1)) for _ in range(rng.randrange(4))}
    else:
        if rng.random() < 0.5:
            v = {s() for _ in range(rng.randrange(4))}
        else:
            v = {rng.choice([0, -1, 7, 2**63 - 1, -2**63]) for _ in range(rng.randrange(4))}
    cases.append({"id": "gen-%d" % i, "arg": tag(v), "key": coerce(v)})
json.dump({"source": "CPython %s str()/repr() through Ring 0.10.1's coerce expressions" % sys.version.split()[0],
           "cases": cases}, sys.stdout, indent=0, ensure_ascii=True)
