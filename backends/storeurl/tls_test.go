package storeurl_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/storeurl"
	"github.com/ringcache/ring/internal/servertest"
)

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and its
// key as PEM files in dir.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ring test"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return certFile, keyFile
}

// TestOpenRediss: rediss:// really speaks TLS, against a private
// redis-server with a TLS port and a self-signed certificate.
func TestOpenRediss(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tlsPort := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	servertest.StartRedis(t, "--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", cert,
		"--tls-key-file", key, "--tls-ca-cert-file", cert, "--tls-auth-clients", "no")
	ctx := context.Background()
	addr := "127.0.0.1:" + strconv.Itoa(tlsPort)

	s, err := storeurl.Open("rediss://" + addr + "/0?skip_verify=true&dial_timeout=2s")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.(backends.Closer).Close() })
	require.NoError(t, s.Set(ctx, "tls:k", []byte("over tls"), time.Minute))
	v, found, err := s.Get(ctx, "tls:k")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, []byte("over tls"), v)

	// Without skip_verify the self-signed certificate is refused: the
	// connection really is TLS, and verified by default.
	strict, err := storeurl.Open("rediss://" + addr + "/0?dial_timeout=2s&max_retries=-1")
	require.NoError(t, err)
	t.Cleanup(func() { _ = strict.(backends.Closer).Close() })
	_, _, err = strict.Get(ctx, "tls:k")
	require.ErrorContains(t, err, "certificate")

	// A plain client on the TLS port does not get through either.
	plain, err := storeurl.Open("redis://" + addr + "/0?dial_timeout=1s&read_timeout=1s&max_retries=-1")
	require.NoError(t, err)
	t.Cleanup(func() { _ = plain.(backends.Closer).Close() })
	_, _, err = plain.Get(ctx, "tls:k")
	require.Error(t, err)
}
