# Generates python-json.golden.json: values tagged as in
# testdata/python-ring-0.10.1.json and the bytes CPython's json module
# writes for them (json.dumps(value).encode(), Python Ring's json coder).
# Run: python3 gen_python_json.py > python-json.golden.json
import json, math, random, sys

rng = random.Random(15)
ALPHABET = ['a', 'z', ' ', '"', '\\', '/', '\n', '\t', '\x00', '\x1f', '\x7f', '\x80', '\u00e9',
            '\u2028', '\u65e5', '\ufeff', '\U0001F600', '\U00010000', "'", ':', ',']
FLOATS = [0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 1e-5, 1e-4, 1.5e300, 5e-324, 1.7976931348623157e308,
          123456789.123, 2.5, -3.75, 1e21, 1e22, float('nan'), float('inf'), float('-inf')]
INTS = [0, 1, -1, 2**31, -2**31, 2**53 + 1, 2**63 - 1, -2**63]

def tag(v):
    if v is None: return {"none": None}
    if isinstance(v, bool): return {"bool": v}
    if isinstance(v, int): return {"int": v}
    if isinstance(v, float):
        if math.isnan(v): return {"float": "nan"}
        if math.isinf(v): return {"float": "inf" if v > 0 else "-inf"}
        return {"float": v}
    if isinstance(v, str): return {"str": v}
    if isinstance(v, list): return {"list": [tag(x) for x in v]}
    if isinstance(v, dict): return {"dict": [[tag(k), tag(x)] for k, x in v.items()]}

def gen(depth):
    k = rng.randrange(8 if depth < 3 else 5)
    if k == 0: return None
    if k == 1: return rng.random() < 0.5
    if k == 2: return rng.choice(INTS + [rng.randrange(-10**6, 10**6)])
    if k == 3: return rng.choice(FLOATS + [rng.uniform(-1e6, 1e6), rng.random() * 10 ** rng.randrange(-30, 30)])
    if k == 4: return ''.join(rng.choice(ALPHABET) for _ in range(rng.randrange(6)))
    if k == 5: return [gen(depth + 1) for _ in range(rng.randrange(4))]
    d = {}
    for _ in range(rng.randrange(4)):
        # no ',' in keys: the Go side builds a struct with json tags, where
        # ',' separates options
        d[''.join(rng.choice(ALPHABET[:-1]) for _ in range(rng.randrange(1, 4)))] = gen(depth + 1)
    return d

cases = []
for i in range(300):
    v = gen(0)
    cases.append({"id": "py-%d" % i, "value": tag(v), "bytes": json.dumps(v)})
json.dump({"source": "CPython %s json module, json.dumps(value)" % sys.version.split()[0], "cases": cases},
          sys.stdout, indent=0)
