package country

// aliases are names the ISO 3166 table does not give: common English names
// and the spellings of the OFAC and UN lists (each checked against the
// country fields of the 2025-02 SDN and the 2026-02 UN lists).
var aliases = map[string]string{
	"Burma":                   "MM",
	"Russia":                  "RU",
	"Brunei":                  "BN",
	"Macau":                   "MO",
	"Turkey":                  "TR",
	"Czech Republic":          "CZ",
	"Ivory Coast":             "CI",
	"Cote d Ivoire":           "CI",
	"Swaziland":               "SZ",
	"Macedonia":               "MK",
	"Palestine":               "PS",
	"Palestinian":             "PS",
	"Palestinian Territories": "PS",
	"West Bank":               "PS",
	"Gaza":                    "PS",
	"Gaza Strip":              "PS",
	"China, Hong Kong Special Administrative Region": "HK",
	"Hong Kong SAR":                     "HK",
	"Macao SAR":                         "MO",
	"Congo, Democratic Republic of the": "CD",
	"DR Congo":                          "CD",
	"DRC":                               "CD",
	"Congo-Kinshasa":                    "CD",
	"Congo-Brazzaville":                 "CG",
	"UK":                                "GB",
	"Great Britain":                     "GB",
	"Britain":                           "GB",
	"USA":                               "US",
	"America":                           "US",
	"UAE":                               "AE",
	"Emirates":                          "AE",
	"Soviet Union":                      "SU",
	"former Soviet Union":               "SU",
	"USSR":                              "SU",
	"Yugoslavia":                        "YU",
	"Vatican":                           "VA",
	"Vatican City":                      "VA",
	"Micronesia":                        "FM",
	"Cape Verde":                        "CV",
	"East Timor":                        "TL",
	"Holland":                           "NL",
	"Syria":                             "SY",
	"Iran":                              "IR",
	"North Korea":                       "KP",
	"DPRK":                              "KP",
	"South Korea":                       "KR",
}

// userAssigned are codes outside ISO 3166 that lists and banks use.
var userAssigned = map[string]string{
	"XK": "Kosovo",
}
