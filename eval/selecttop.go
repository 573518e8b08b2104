package eval

// The oracle keeps each query's own largest attention weights: the sum of
// the k largest of n values, for a few k at once, by nested selection
// (expected O(n) per query) rather than a sort.

// topSums adds to sums[r] the sum of the keep[r] largest values of v, for
// every r; byKeep lists the indexes of keep from the largest keep to the
// smallest. v is reordered.
func topSums(v []float64, keep, byKeep []int, sums []float64) {
	hi := len(v)
	for _, r := range byKeep {
		k := min(keep[r], hi)
		selectTop(v[:hi], k)
		hi = k
	}
	// v[:keep[last]] holds the largest, then each larger keep's extra values.
	var acc float64
	done := 0
	for s := len(byKeep) - 1; s >= 0; s-- {
		r := byKeep[s]
		for _, x := range v[done:keep[r]] {
			acc += x
		}
		done = max(done, keep[r])
		sums[r] += acc
	}
}

// selectTop reorders v so that its k largest values come first (in no
// particular order): quickselect with a median-of-three pivot and a
// three-way partition (ties, such as attention weights that underflowed to
// zero, end a round at once).
func selectTop(v []float64, k int) {
	lo, hi := 0, len(v)
	for k > lo && k < hi && hi-lo > 1 {
		a, b, c := v[lo], v[lo+(hi-lo)/2], v[hi-1]
		pivot := max(min(a, b), min(max(a, b), c))
		// v[lo:gt] > pivot, v[gt:i] == pivot, v[eq:hi] < pivot
		gt, i, lt := lo, lo, hi
		for i < lt {
			switch x := v[i]; {
			case x > pivot:
				v[gt], v[i] = x, v[gt]
				gt++
				i++
			case x < pivot:
				lt--
				v[lt], v[i] = x, v[lt]
			default:
				i++
			}
		}
		switch {
		case k < gt:
			hi = gt
		case k <= lt:
			return
		default:
			lo = lt
		}
	}
}
