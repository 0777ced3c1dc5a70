// Package sim simulates a Bitcoin economy with known ground truth (who owns every coin and where
// stolen coins went) and writes it as Bitcoin Core regtest block files.
package sim
