package api

import (
	"encoding/json"
	"fmt"
)

// recode converts between a domain type and its generated API twin through
// their common JSON form: both follow openapi.yaml's field names, and every
// API test validates the result against the contract, so a drift between
// the two fails loudly. It is the one conversion used at the API's edge for
// the organization's types.
func recode[T any](src any) (T, error) {
	var dst T
	b, err := json.Marshal(src)
	if err != nil {
		return dst, fmt.Errorf("encode %T: %w", src, err)
	}
	if err := json.Unmarshal(b, &dst); err != nil {
		return dst, fmt.Errorf("decode %T into %T: %w", src, dst, err)
	}
	return dst, nil
}
