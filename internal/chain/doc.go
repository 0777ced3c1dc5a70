// Package chain holds Bitcoin domain types shared by every layer: networks and their magic
// numbers, script types and address extraction for every script form, and transaction size/weight
// helpers.
package chain
