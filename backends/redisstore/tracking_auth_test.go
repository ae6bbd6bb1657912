package redisstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/auth"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// The secrets of the private servers below. No error may contain them.
const (
	adminPass = "admin-secret-7f3a"
	trkPass   = "trk-secret-91c2"
	trk2Pass  = "trk2-secret-5d08"
	wrongPass = "wrong-secret-e6b4"
)

// startAuthRedis starts a private redis-server whose default user may
// only run INFO (and HELLO, which every user may): tracking needs the
// credentials of an ACL user. trk and trk2 may only read and write keys
// under trk: and turn tracking on (not even PING); admin may do all.
func startAuthRedis(t *testing.T, extra ...string) (*servertest.Server, *redis.Client) {
	t.Helper()
	args := []string{
		"--user", "default", "on", "nopass", "-@all", "+info",
		"--user", "admin", "on", ">" + adminPass, "~*", "&*", "+@all",
		"--user", "trk", "on", ">" + trkPass, "~trk:*", "+@read", "+@write", "+client|tracking",
		"--user", "trk2", "on", ">" + trk2Pass, "~trk:*", "+@read", "+@write", "+client|tracking",
	}
	srv := servertest.StartRedis(t, append(args, extra...)...)
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr(), Username: "admin", Password: adminPass})
	t.Cleanup(func() { _ = admin.Close() })
	return srv, admin
}

// trackedUser returns the ACL user of srv's tracking connection, "" when
// there is none.
func trackedUser(t *testing.T, admin *redis.Client) string {
	t.Helper()
	return trackedField(t, admin, "user")
}

// trackedField returns a field of CLIENT LIST for srv's tracking
// connection, "" when there is none.
func trackedField(t *testing.T, admin *redis.Client, field string) string {
	t.Helper()
	list, err := admin.ClientList(context.Background()).Result()
	require.NoError(t, err)
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+redisstore.TrackingName+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if u, ok := strings.CutPrefix(f, field+"="); ok {
				return u
			}
		}
	}
	return ""
}

// trackLive subscribes on st under "trk:" and waits until it is live; it
// returns the keys reported since.
func trackLive(t *testing.T, st *redisstore.Store) func() []string {
	t.Helper()
	var mu sync.Mutex
	var live bool
	var keys []string
	stop, err := st.Track("trk:", func(ks []string, l bool) {
		mu.Lock()
		defer mu.Unlock()
		live = l
		keys = append(keys, ks...)
	})
	require.NoError(t, err)
	t.Cleanup(stop)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		ok := live
		mu.Unlock()
		if ok {
			break
		}
		require.True(t, time.Now().Before(deadline), "tracking not live: %v", st.TrackingErr())
		time.Sleep(5 * time.Millisecond)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), keys...)
	}
}

// invalidates checks that a write by admin under trk: is reported.
func invalidates(t *testing.T, admin *redis.Client, keys func() []string, key string) {
	t.Helper()
	require.NoError(t, admin.Set(context.Background(), key, "1", 0).Err())
	deadline := time.Now().Add(3 * time.Second)
	for !contains(keys(), key) {
		require.True(t, time.Now().Before(deadline), "no invalidation of %s", key)
		time.Sleep(time.Millisecond)
	}
}

func contains(ks []string, k string) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// streamingCreds is a StreamingCredentialsProvider whose credentials the
// test changes with next.
type streamingCreds struct {
	mu        sync.Mutex
	cur       auth.Credentials
	listeners map[auth.CredentialsListener]bool
	subs      atomic.Int64
}

func (p *streamingCreds) Subscribe(l auth.CredentialsListener) (auth.Credentials, auth.UnsubscribeFunc, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listeners == nil {
		p.listeners = map[auth.CredentialsListener]bool{}
	}
	p.listeners[l] = true
	p.subs.Add(1)
	return p.cur, func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.listeners, l)
		return nil
	}, nil
}

func (p *streamingCreds) next(c auth.Credentials) {
	p.mu.Lock()
	p.cur = c
	ls := make([]auth.CredentialsListener, 0, len(p.listeners))
	for l := range p.listeners {
		ls = append(ls, l)
	}
	p.mu.Unlock()
	for _, l := range ls {
		l.OnNext(c)
	}
}

// TestTrackCredentials: the tracking connection authenticates as the
// client does, from each source of credentials go-redis has, as an ACL
// user that may not even PING (the keepalive is HELLO). A streaming
// provider's new credentials re-authenticate the open connection (AUTH:
// CLIENT LIST shows the new user, and no new connection). Wrong
// credentials leave tracking down, with an error that names the node and
// Redis's reply but holds no password.
func TestTrackCredentials(t *testing.T) {
	srv, admin := startAuthRedis(t)
	var calls atomic.Int64
	for _, tc := range []struct {
		name string
		opts redis.Options
	}{
		{"Username and Password", redis.Options{Username: "trk", Password: trkPass}},
		{"CredentialsProvider", redis.Options{CredentialsProvider: func() (string, string) {
			calls.Add(1)
			return "trk", trkPass
		}}},
		{"CredentialsProviderContext", redis.Options{CredentialsProviderContext: func(ctx context.Context) (string, string, error) {
			calls.Add(1)
			if _, ok := ctx.Deadline(); !ok {
				return "", "", context.Canceled // the call is bounded
			}
			return "trk", trkPass, nil
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Addr = srv.Addr()
			rdb := redis.NewClient(&opts)
			t.Cleanup(func() { _ = rdb.Close() })
			st := redisstore.New(rdb)
			t.Cleanup(func() { _ = st.Close() })
			before := calls.Load()
			keys := trackLive(t, st)
			require.Equal(t, "trk", trackedUser(t, admin))
			invalidates(t, admin, keys, "trk:"+strconv.Itoa(int(time.Now().UnixNano())))
			if tc.opts.Password == "" {
				require.Greater(t, calls.Load(), before, "the provider was not asked")
			}
			id := trackedField(t, admin, "id")
			time.Sleep(2200 * time.Millisecond) // keepalives, as trk
			require.NoError(t, st.TrackingErr())
			require.Equal(t, id, trackedField(t, admin, "id"), "the tracking connection was dropped")
			invalidates(t, admin, keys, "trk:after-keepalive")
		})
	}

	t.Run("StreamingCredentialsProvider", func(t *testing.T) {
		p := &streamingCreds{cur: auth.NewBasicCredentials("trk", trkPass)}
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), StreamingCredentialsProvider: p})
		t.Cleanup(func() { _ = rdb.Close() })
		st := redisstore.New(rdb)
		t.Cleanup(func() { _ = st.Close() })
		keys := trackLive(t, st)
		require.Equal(t, "trk", trackedUser(t, admin))
		subs, id := p.subs.Load(), trackedField(t, admin, "id")
		p.next(auth.NewBasicCredentials("trk2", trk2Pass))
		deadline := time.Now().Add(5 * time.Second)
		for trackedUser(t, admin) != "trk2" {
			require.True(t, time.Now().Before(deadline), "not re-authenticated as trk2")
			time.Sleep(10 * time.Millisecond)
		}
		require.Equal(t, subs, p.subs.Load(), "the connection was dropped rather than re-authenticated")
		require.Equal(t, id, trackedField(t, admin, "id"), "the connection was dropped rather than re-authenticated")
		invalidates(t, admin, keys, "trk:after-reauth")

		// A rejected credential drops the connection; the next dial
		// subscribes again and uses the provider's current one.
		p.next(auth.NewBasicCredentials("trk", wrongPass))
		deadline = time.Now().Add(5 * time.Second)
		for st.TrackingErr() == nil {
			require.True(t, time.Now().Before(deadline), "a rejected AUTH went unnoticed")
			time.Sleep(5 * time.Millisecond)
		}
		noSecret(t, st.TrackingErr())
		p.next(auth.NewBasicCredentials("trk", trkPass))
		deadline = time.Now().Add(5 * time.Second)
		for st.TrackingErr() != nil || trackedUser(t, admin) != "trk" {
			require.True(t, time.Now().Before(deadline), "not back: %v", st.TrackingErr())
			time.Sleep(10 * time.Millisecond)
		}
		invalidates(t, admin, keys, "trk:after-rejected")
	})

	t.Run("wrong credentials", func(t *testing.T) {
		for _, opts := range []*redis.Options{
			{Addr: srv.Addr(), Username: "trk", Password: wrongPass},
			{Addr: srv.Addr(), CredentialsProvider: func() (string, string) { return "trk", wrongPass }},
			{Addr: srv.Addr()}, // the default user may not turn tracking on
		} {
			rdb := redis.NewClient(opts)
			t.Cleanup(func() { _ = rdb.Close() })
			st := redisstore.New(rdb)
			t.Cleanup(func() { _ = st.Close() })
			var live atomic.Bool
			stop, err := st.Track("trk:", func(_ []string, l bool) { live.Store(l) })
			require.NoError(t, err)
			t.Cleanup(stop)
			deadline := time.Now().Add(5 * time.Second)
			for st.TrackingErr() == nil {
				require.True(t, time.Now().Before(deadline), "no tracking error")
				time.Sleep(5 * time.Millisecond)
			}
			err = st.TrackingErr()
			t.Log(err)
			require.False(t, live.Load())
			require.ErrorContains(t, err, "ring: backend redis: tracking on "+srv.Addr())
			if opts.Password != "" || opts.CredentialsProvider != nil {
				require.ErrorContains(t, err, "WRONGPASS")
			} else {
				require.ErrorContains(t, err, "NOPERM")
			}
			noSecret(t, err)
		}
	})
}

// noSecret fails t if err holds any password of the test's servers.
func noSecret(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	for _, s := range []string{adminPass, trkPass, trk2Pass, wrongPass} {
		require.NotContains(t, err.Error(), s)
	}
}

// TestTrackTLS: the tracking connection of a TLS client speaks TLS (the
// server has no plain port for it), with the client's credentials.
func TestTrackTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := selfSigned(t, certFile, keyFile)
	tlsPort := servertest.FreePort(t)
	srv, admin := startAuthRedis(t, "--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", certFile,
		"--tls-key-file", keyFile, "--tls-ca-cert-file", certFile, "--tls-auth-clients", "no")
	_ = srv
	tlsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort))
	rdb := redis.NewClient(&redis.Options{Addr: tlsAddr, TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		CredentialsProvider: func() (string, string) { return "trk", trkPass }})
	t.Cleanup(func() { _ = rdb.Close() })
	require.NoError(t, rdb.Set(context.Background(), "trk:tls", "1", 0).Err(), "the client itself over TLS")
	st := redisstore.New(rdb)
	t.Cleanup(func() { _ = st.Close() })
	keys := trackLive(t, st)
	list, err := admin.ClientList(context.Background()).Result()
	require.NoError(t, err)
	var line string
	for _, l := range strings.Split(list, "\n") {
		if strings.Contains(l, " name="+redisstore.TrackingName+" ") {
			line = l
		}
	}
	require.Contains(t, line, "laddr="+tlsAddr, "the tracking connection is not on the TLS port")
	require.Contains(t, line, "user=trk ")
	invalidates(t, admin, keys, "trk:tls-write")
}

// selfSigned writes a self-signed certificate for 127.0.0.1 (its own CA)
// and its key, and returns a pool that trusts it.
func selfSigned(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ring test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
