package sanctions

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckDOB accepts a date of birth filter written YYYY, YYYY-MM or
// YYYY-MM-DD.
func CheckDOB(d string) error {
	bad := fmt.Errorf("date of birth %q: want YYYY, YYYY-MM or YYYY-MM-DD", d)
	parts := strings.Split(d, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return bad
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || i > 0 && (len(p) != 2 || n < 1 || (i == 1 && n > 12) || (i == 2 && n > 31)) {
			return bad
		}
	}
	return nil
}
