// Package ringotel reports ring's events to OpenTelemetry.
package ringotel
