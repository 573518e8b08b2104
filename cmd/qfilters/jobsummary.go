package main

// jobSummary opens the --json output of every command that runs the model
// or writes an output (calibrate, stats, merge, eval, synth), with the same
// keys in the same order, so that a script reads any of them the same way.
type jobSummary struct {
	Out     string  `json:"out"`     // what was written ("" for eval without --png)
	Model   string  `json:"model"`   // as the user named it (synth: the preset)
	Tokens  int     `json:"tokens"`  // tokens run through the model (0 for synth)
	Seconds float64 `json:"seconds"` // wall time of the run
}

// quietHelp is --quiet's help, the same for every command. Warnings (what
// changes what a result means or costs: a degenerate calibration, filters of
// another config, bf16 emulated) are printed still.
const quietHelp = "no progress and no notes on stderr (warnings are still printed)"
