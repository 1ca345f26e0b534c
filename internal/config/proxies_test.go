package config_test

import (
	"io"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/config"
)

func TestTrustedProxiesAndObservability(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1", "LOG_FORMAT": "json", "METRICS_TOKEN": "0123456789abcdef"}
	c, err := config.Load([]string{"--metrics-addr", "127.0.0.1:9090"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}, c.Proxies)
	assert.Equal(t, "json", c.LogFormat)
	assert.Equal(t, "127.0.0.1:9090", c.MetricsAddr)
	assert.Equal(t, "0123456789abcdef", c.MetricsToken)
	assert.Equal(t, 3, c.RetentionYears)

	bad := map[string]string{"TRUSTED_PROXIES": "proxy.example", "LOG_FORMAT": "xml", "METRICS_TOKEN": "short", "RETENTION_YEARS": "0"}
	_, err = config.Load(nil, func(k string) string { return bad[k] }, io.Discard)
	require.Error(t, err)
	for _, want := range []string{"trusted-proxies", "log-format", "METRICS_TOKEN", "retention-years"} {
		assert.Contains(t, err.Error(), want, "every problem reported")
	}
}
