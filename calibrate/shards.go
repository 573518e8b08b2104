package calibrate

import (
	"fmt"
	"sort"
	"strings"
)

// shardOrder checks that n stats files (shard gives each one's index and
// shard count, differs says how file i does not belong with file ref, or "")
// are every shard of one run exactly once, and returns them in shard order.
func shardOrder(n int, names []string, shard func(i int) (index, count int), differs func(ref, i int) string) ([]int, error) {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		sa, _ := shard(order[a])
		sb, _ := shard(order[b])
		return sa < sb
	})
	ref := order[0]
	seen := map[int]string{}
	for _, i := range order {
		if diff := differs(ref, i); diff != "" {
			return nil, fmt.Errorf("%s does not belong with %s: %s", names[i], names[ref], diff)
		}
		s, count := shard(i)
		if prev, dup := seen[s]; dup {
			return nil, fmt.Errorf("shard %d/%d given twice (%s and %s)", s, count, prev, names[i])
		}
		seen[s] = names[i]
	}
	if _, count := shard(ref); len(seen) != count {
		var missing []string
		for s := range count {
			if _, ok := seen[s]; !ok {
				missing = append(missing, fmt.Sprintf("%d/%d", s, count))
			}
		}
		return nil, fmt.Errorf("missing shards: %s", strings.Join(missing, ", "))
	}
	return order, nil
}
