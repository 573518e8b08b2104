package main

import (
	"fmt"

	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/export"
)

// heldOut decides how many leading documents eval skips so as not to
// evaluate on the text the filters were calibrated on, and what to tell the
// user. Calibration reads a corpus from its start and records the hash of
// the documents it read (provenance corpus_sha256, corpus_docs): when the
// first corpus_docs documents of the evaluation corpus hash the same, they
// are those documents. An explicit --skip-docs is kept, with a warning when
// it leaves calibration documents in; a default skip (0, or the embedded
// corpus's held-out split) grows to cover them. When the provenance has no
// hash, eval cannot know and says so.
func heldOut(filtersDir string, p *export.Provenance, corpusPath, corpusName string, opt evalOptions, defaulted bool) (skip int, msg string) {
	skip = opt.SkipDocs
	if p == nil || p.CorpusSHA256 == "" || p.CorpusDocs <= 0 {
		if !opt.skipSet && !defaulted {
			return skip, fmt.Sprintf("warning: cannot tell whether %s was calibrated on %s (its provenance records no corpus hash): the evaluation text may overlap the calibration text; --skip-docs N skips the first N documents", filtersDir, corpusName)
		}
		return skip, ""
	}
	field := p.TextField
	if field == "" {
		field = opt.TextField
	}
	id, err := corpus.Identity(corpusPath, corpus.Options{TextField: field}, p.CorpusDocs)
	if err != nil || id != p.CorpusSHA256 {
		return skip, "" // not the calibration corpus (or unreadable: the evaluation reports that)
	}
	switch {
	case skip >= p.CorpusDocs:
		return skip, ""
	case opt.skipSet:
		return skip, fmt.Sprintf("warning: %s was calibrated on the first %s of %s (same corpus_sha256); with --skip-docs %d the evaluation includes some of them", filtersDir, count(p.CorpusDocs, "document", "documents"), corpusName, skip)
	}
	return p.CorpusDocs, fmt.Sprintf("skipping the first %s of %s: %s was calibrated on them (same corpus_sha256); --skip-docs overrides", count(p.CorpusDocs, "document", "documents"), corpusName, filtersDir)
}
