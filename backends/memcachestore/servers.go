package memcachestore

import (
	"errors"
	"fmt"
	"hash/crc32"
	"net"
	"strings"
	"sync"

	"github.com/bradfitz/gomemcache/memcache"
)

// Servers is a memcache.ServerSelector that resolves host names
// when a connection is dialled, not when it is made. gomemcache's
// ServerList resolves every name once, in SetServers: a DNS failure at
// start-up is an error then (a panic under a Must), and an address that
// changes later is never seen. Servers keeps the names: the
// addresses it returns have Network "tcp" (or "unix" for a path) and
// String the "host:port" as given, which the client's dialer (its
// DialContext, or a net.Dialer) resolves at each dial. A name that does not
// resolve makes the calls to that server fail until it does.
//
// Keys are spread over the servers exactly as ServerList spreads them (the
// CRC-32 of the key's first 256 bytes, modulo the number of servers), so
// switching from one to the other keeps every key on its server.
// storeurl.Open uses it for memcache:// URLs. It is safe for concurrent use; the
// zero value has no servers (every PickServer fails with
// memcache.ErrNoServers).
type Servers struct {
	addrs []net.Addr // *memcacheAddr, one pointer per server for the life of the value
}

// memcacheAddr is a server address resolved by the dialer.
type memcacheAddr struct{ network, addr string }

func (a *memcacheAddr) Network() string { return a.network }
func (a *memcacheAddr) String() string  { return a.addr }

var _ memcache.ServerSelector = (*Servers)(nil)

// NewServers returns a selector over servers, each "host:port" (a
// name or an IP address; IPv6 in brackets) or the path of a Unix socket
// (anything with a '/'). It resolves nothing and fails only on an empty
// list or item, or a TCP item without a port. A server listed twice gets
// twice the keys, as in ServerList.
func NewServers(servers ...string) (*Servers, error) {
	if len(servers) == 0 {
		return nil, errors.New("ring: memcache servers: empty list")
	}
	ms := &Servers{addrs: make([]net.Addr, len(servers))}
	for i, s := range servers {
		switch {
		case strings.Contains(s, "/"):
			ms.addrs[i] = &memcacheAddr{network: "unix", addr: s}
		default:
			host, port, err := net.SplitHostPort(s)
			if err != nil || host == "" || port == "" {
				return nil, fmt.Errorf("ring: memcache servers: server %d, %q, is not host:port or a socket path", i+1, s)
			}
			ms.addrs[i] = &memcacheAddr{network: "tcp", addr: s}
		}
	}
	return ms, nil
}

// keyBufPool holds the 256-byte buffers PickServer hashes keys in, as
// ServerList does (which hashes only a key's first 256 bytes).
var keyBufPool = sync.Pool{New: func() any { b := make([]byte, 256); return &b }}

// PickServer returns the server of key.
func (ms *Servers) PickServer(key string) (net.Addr, error) {
	switch len(ms.addrs) {
	case 0:
		return nil, memcache.ErrNoServers
	case 1:
		return ms.addrs[0], nil
	}
	bufp := keyBufPool.Get().(*[]byte)
	n := copy(*bufp, key)
	cs := crc32.ChecksumIEEE((*bufp)[:n])
	keyBufPool.Put(bufp)
	return ms.addrs[cs%uint32(len(ms.addrs))], nil
}

// Each calls f with each server, in the order given, until f fails.
func (ms *Servers) Each(f func(net.Addr) error) error {
	for _, a := range ms.addrs {
		if err := f(a); err != nil {
			return err
		}
	}
	return nil
}
