package labels

import (
	"context"
	"fmt"
	"strings"
)

// ByCategory returns the stored labels of the given categories (sanctions
// list addresses are not included: read them from the sanctions store), in
// address order. KYT monitoring traces funds forward from the illicit ones.
func (s *Store) ByCategory(ctx context.Context, categories ...string) ([]Label, error) {
	if len(categories) == 0 {
		return nil, nil
	}
	args := make([]any, len(categories))
	for i, c := range categories {
		args[i] = c
	}
	q := `SELECT ` + labelCols + ` FROM labels WHERE category IN (` +
		strings.TrimSuffix(strings.Repeat("?,", len(categories)), ",") + `) ORDER BY address, confidence DESC, source, label`
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("labels: by category: %w", err)
	}
	defer rows.Close()
	var out []Label
	for rows.Next() {
		l, err := scanLabel(rows)
		if err != nil {
			return nil, fmt.Errorf("labels: by category: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Generation counts the imports and deletes so far (by any process): it
// changes whenever the stored labels do.
func (s *Store) Generation(ctx context.Context) (int64, error) { return s.generation(ctx) }
