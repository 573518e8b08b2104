package tokenizer

// symbolList holds a word's symbols as a doubly linked list while merges are
// applied, with a priority queue of candidate merges ordered by rank, then
// position: the same order as Hugging Face's Word::merge_all, so ties and
// overlapping pairs ("aaa") resolve identically. Each merge costs
// O(log n), not a rescan of the word.
type symbolList struct {
	syms []symbol
	heap []candidate
}

type symbol struct {
	id         int32
	prev, next int32 // neighbours; -1 at the ends
	gone       bool  // merged into its left neighbour
}

type candidate struct {
	rank, pos, newID int32
}

func newSymbolList(ids []int32) *symbolList {
	w := &symbolList{syms: make([]symbol, len(ids))}
	for i, id := range ids {
		w.syms[i] = symbol{id: id, prev: int32(i - 1), next: int32(i + 1)}
	}
	if n := len(ids); n > 0 {
		w.syms[n-1].next = -1
	}
	return w
}

// mergeAll applies merges until no adjacent pair has a rule.
func (w *symbolList) mergeAll(rules map[uint64]mergeRule) {
	for i := 0; i+1 < len(w.syms); i++ {
		if r, ok := rules[pairKey(int(w.syms[i].id), int(w.syms[i+1].id))]; ok {
			w.push(candidate{rank: r.rank, pos: int32(i), newID: r.newID})
		}
	}
	for len(w.heap) > 0 {
		top := w.pop()
		cur := &w.syms[top.pos]
		if cur.gone || cur.next < 0 {
			continue
		}
		right := w.syms[cur.next]
		// Skip stale candidates: the pair at pos has changed since.
		if r, ok := rules[pairKey(int(cur.id), int(right.id))]; !ok || r.newID != top.newID {
			continue
		}
		cur.id = top.newID
		w.syms[cur.next].gone = true
		cur.next = right.next
		if right.next >= 0 {
			w.syms[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			p := w.syms[cur.prev]
			if r, ok := rules[pairKey(int(p.id), int(cur.id))]; ok {
				w.push(candidate{rank: r.rank, pos: cur.prev, newID: r.newID})
			}
		}
		if cur.next >= 0 {
			n := w.syms[cur.next]
			if r, ok := rules[pairKey(int(cur.id), int(n.id))]; ok {
				w.push(candidate{rank: r.rank, pos: top.pos, newID: r.newID})
			}
		}
	}
}

func (a candidate) less(b candidate) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

func (w *symbolList) push(c candidate) {
	h := append(w.heap, c)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].less(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	w.heap = h
}

func (w *symbolList) pop() candidate {
	h := w.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h[l].less(h[m]) {
			m = l
		}
		if r < n && h[r].less(h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	w.heap = h
	return top
}
