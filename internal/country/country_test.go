package country

import "testing"

func TestCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"KP", "KP"}, {"kp", "KP"}, {"PRK", "KP"}, {"North Korea", "KP"}, {"Korea, North", "KP"},
		{"Democratic People's Republic of Korea", "KP"}, {"Korea, South", "KR"}, {"KOR", "KR"},
		{"RU", "RU"}, {"Russia", "RU"}, {"Russian Federation", "RU"}, {"Region: Russia", "RU"},
		{"Iran (Islamic Republic of)", "IR"}, {"Iran", "IR"}, {"Burma", "MM"}, {"Myanmar", "MM"},
		{"Congo, Democratic Republic of the", "CD"}, {"Democratic Republic of the Congo", "CD"},
		{"Congo, Republic of the", "CG"}, {"Bahamas, The", "BS"}, {"The Gambia", "GM"},
		{"Man, Isle of", "IM"}, {"Virgin Islands, British", "VG"}, {"British Virgin Islands", "VG"},
		{"Cote d Ivoire", "CI"}, {"Côte d'Ivoire", "CI"}, {"Türkiye", "TR"}, {"Turkey", "TR"},
		{"North Macedonia, The Republic of", "MK"}, {"Viet Nam", "VN"}, {"Vietnam", "VN"},
		{"Netherlands Antilles", "AN"}, {"Kosovo", "XK"}, {"United Kingdom of Great Britain and Northern Ireland", "GB"},
		{"United States of America", "US"}, {"USA", "US"}, {"China, Hong Kong Special Administrative Region", "HK"},
	} {
		if got, ok := Code(c.in); !ok || got != c.want {
			t.Errorf("Code(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, in := range []string{"", "Narnia", "ZZ", "XYZ", "Region: Crimea", "undetermined"} {
		if got, ok := Code(in); ok {
			t.Errorf("Code(%q) = %q, want not found", in, got)
		}
	}
}
