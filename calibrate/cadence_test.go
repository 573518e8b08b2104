package calibrate

import (
	"testing"
	"time"
)

// TestCadence: checkpoints every k layers, every interval, or by default as
// often as keeps their writes under maxCheckpointOverhead of the run.
func TestCadence(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

	auto := newCadence(0, 0, t0)
	if !auto.layerDone(at(1)) {
		t.Fatal("auto: the first layer is not checkpointed (nothing measured yet)")
	}
	auto.written(at(3), 2*time.Second) // a 2 s write: the next one waits for 40 s
	for _, s := range []float64{10, 20, 42.9} {
		if auto.layerDone(at(s)) {
			t.Fatalf("auto: checkpoint %v s after a 2 s one", s-3)
		}
	}
	if !auto.layerDone(at(43)) {
		t.Fatal("auto: no checkpoint 40 s after a 2 s one")
	}

	every := newCadence(3, 0, t0)
	var got []int
	for l := 0; l < 9; l++ {
		if every.layerDone(at(float64(l))) {
			got = append(got, l)
			every.written(at(float64(l)), time.Second)
		}
	}
	if len(got) != 3 || got[0] != 2 || got[1] != 5 || got[2] != 8 {
		t.Errorf("every 3 layers: checkpoints after layers %v", got)
	}

	timed := newCadence(0, time.Minute, t0)
	if timed.layerDone(at(59)) || !timed.layerDone(at(60)) {
		t.Error("every minute: wrong decision at 59 s or 60 s")
	}
}
