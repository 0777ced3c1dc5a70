// Package sanctions imports sanctions lists (OFAC SDN CSV and XML, the UN consolidated list,
// custom watchlists) into versioned storage and screens crypto addresses and names against them.
package sanctions
