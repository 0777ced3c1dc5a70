// Package btcdtest starts a real btcd node in regtest on loopback for tests, and talks to it over JSON-RPC.
package btcdtest
