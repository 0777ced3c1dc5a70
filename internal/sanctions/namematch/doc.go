// Package namematch is a fuzzy name matching engine for sanctions screening.
//
// Build indexes records (an ID, one or more names, a type and filter
// attributes). Every name is normalised (Unicode NFKD fold, Cyrillic
// transliteration, punctuation to spaces) and cut into tokens; each distinct
// token is reachable through several keys: the token itself, a canonical
// transliteration variant ("Muhammad" for "Mohamed", "Pak" for "Park"), a
// phonetic skeleton and its single-character deletions (typos). Adjacent
// tokens are also indexed joined ("JSC ARGUMENT" as "JSCARGUMENT"). A query
// therefore only scores the names that share a key with it.
//
// Scoring aligns query tokens with name tokens (exact, transliteration
// variant, phonetic, Jaro-Winkler, joined tokens), weighting every token by
// its inverse document frequency over the indexed names, so that common
// tokens ("TRADING", "BANK", "MOHAMMED") count for little and legal forms
// ("CO", "LTD", "LLC") almost nothing. Unmatched tokens on either side
// lower the score. Each hit carries an Explanation of how it was reached.
package namematch
