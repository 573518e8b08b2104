package eval

import "math"

// The oracle keeps each query's own largest attention weights: the sum of
// the k largest of n values, for a few k at once. A sort per query costs
// n log n and a quickselect per k several passes with unpredictable
// branches; instead one pass buckets the weights by their leading bits (a
// float64's bits order non-negative values, so the buckets are ranges of
// values: sign, exponent and the first 4 mantissa bits, i.e. 16 buckets per
// power of two, counted down from the largest weight), counting and summing
// each bucket; the buckets above the one holding the k-th largest add up
// whole, and only that boundary bucket's few values are selected.

const (
	bucketShift = 48   // float64 bits kept: sign, exponent, 4 mantissa bits
	nBuckets    = 1024 // 64 powers of two below the largest; smaller ones share the last
)

// topSelector holds the buckets (reused across queries).
type topSelector struct {
	cnt      [nBuckets]int32
	sum      [nBuckets]float64
	mark     [nBuckets]int32 // 1 + the ratio gathering a boundary bucket, else 0
	boundary []int           // per ratio: its boundary bucket
	above    []float64       // per ratio: the sum of the buckets above it
	need     []int           // per ratio: values still to take from the boundary bucket
	lists    [][]float64     // per ratio: the boundary bucket's values (shared when equal)

	// sumLargestBelow's digit buckets and its two alternating buffers
	dcnt [1 << digitBits]int32
	dsum [1 << digitBits]float64
	buf  [2][]float64
}

// digitBits is the width of sumLargestBelow's digits.
const digitBits = 10

// topSums adds to sums[r] the sum of the keep[r] largest values of v (all
// >= 0) for every r; byKeep lists the indexes of keep from the largest keep
// to the smallest. v is left as it was.
func (ts *topSelector) topSums(v []float64, keep, byKeep []int, sums []float64) {
	var maxBits uint64
	for _, x := range v {
		maxBits = max(maxBits, math.Float64bits(x))
	}
	top := maxBits >> bucketShift
	ts.cnt = [nBuckets]int32{}
	ts.sum = [nBuckets]float64{}
	for _, x := range v {
		b := min(top-math.Float64bits(x)>>bucketShift, nBuckets-1)
		ts.cnt[b]++
		ts.sum[b] += x
	}
	nr := len(keep)
	if cap(ts.boundary) < nr {
		ts.boundary, ts.above, ts.need = make([]int, nr), make([]float64, nr), make([]int, nr)
		ts.lists = make([][]float64, nr)
	}
	// From the smallest keep: walk the buckets down from the largest.
	b, count, acc := 0, 0, 0.0
	for s := len(byKeep) - 1; s >= 0; s-- {
		r := byKeep[s]
		k := min(keep[r], len(v))
		for b < nBuckets-1 && count+int(ts.cnt[b]) < k {
			count += int(ts.cnt[b])
			acc += ts.sum[b]
			b++
		}
		ts.boundary[r], ts.above[r], ts.need[r] = b, acc, k-count
		ts.lists[r] = ts.lists[r][:0]
	}
	// Gather the boundary buckets' values, once per distinct bucket (the
	// smallest keep's ratio holds a shared one).
	for s := range byKeep {
		r := byKeep[s]
		ts.mark[ts.boundary[r]] = int32(r + 1)
	}
	for _, x := range v {
		if m := ts.mark[min(top-math.Float64bits(x)>>bucketShift, nBuckets-1)]; m > 0 {
			ts.lists[m-1] = append(ts.lists[m-1], x)
		}
	}
	for _, r := range byKeep {
		b := ts.boundary[r]
		list := ts.lists[ts.mark[b]-1]
		if b == nBuckets-1 { // the shared last bucket: values of any bits
			sums[r] += ts.above[r] + sumLargest(list, ts.need[r])
		} else {
			sums[r] += ts.above[r] + ts.sumLargestBelow(list, ts.need[r], bucketShift)
		}
	}
	for _, r := range byKeep {
		ts.mark[ts.boundary[r]] = 0
	}
}

// sumLargestBelow returns the sum of the need largest values of list, all
// of which share their bits above shift: it buckets them on the next
// digitBits bits, adds the buckets above the one holding the need-th
// largest, and goes on within that bucket (a radix select), until few
// values are left (then selected) or they are equal.
func (ts *topSelector) sumLargestBelow(list []float64, need int, shift uint) float64 {
	var total float64
	buf, alt := list, 0
	for {
		if need == len(buf) {
			for _, x := range buf {
				total += x
			}
			return total
		}
		if len(buf) <= 64 || shift == 0 {
			return total + sumLargest(buf, need)
		}
		next := shift - min(shift, digitBits)
		mask := uint64(1)<<(shift-next) - 1
		ts.dcnt = [1 << digitBits]int32{}
		ts.dsum = [1 << digitBits]float64{}
		for _, x := range buf {
			d := math.Float64bits(x) >> next & mask
			ts.dcnt[d]++
			ts.dsum[d] += x
		}
		d, count := int(mask), 0
		for count+int(ts.dcnt[d]) < need {
			count += int(ts.dcnt[d])
			total += ts.dsum[d]
			d--
		}
		need -= count
		out := ts.buf[alt][:0]
		for _, x := range buf {
			if int(math.Float64bits(x)>>next&mask) == d {
				out = append(out, x)
			}
		}
		ts.buf[alt] = out
		buf, alt, shift = out, 1-alt, next
	}
}

// sumLargest returns the sum of the need largest values of v (reordered).
func sumLargest(v []float64, need int) float64 {
	selectTop(v, need)
	var s float64
	for _, x := range v[:need] {
		s += x
	}
	return s
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
		// v[lo:gt] > pivot, v[gt:lt] == pivot, v[lt:hi] < pivot
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
