package weightedroundrobin

import (
	"math"
	"testing"
)

func counter() func() uint32 {
	var n uint32
	return func() uint32 { n++; return n }
}

func TestSchedulerProportions(t *testing.T) {
	for _, weights := range [][]float64{
		{1, 2, 3},
		{10, 1},
		{5, 5, 5, 20},
		{0.1, 0.7, 0.2},
	} {
		s, fallback := newScheduler(weights, counter())
		if fallback {
			t.Fatalf("%v: unexpected round robin fallback", weights)
		}
		if _, ok := s.(*strideScheduler); !ok {
			t.Fatalf("%v: got %T, want the stride scheduler", weights, s)
		}
		const picks = 600000
		counts := make([]int, len(weights))
		for range picks {
			counts[s.nextIndex()]++
		}
		var sum float64
		for _, w := range weights {
			sum += w
		}
		for i, w := range weights {
			want := picks * w / sum
			if math.Abs(float64(counts[i])-want) > want*0.01 {
				t.Errorf("weights %v: endpoint %d picked %d times, want about %.0f", weights, i, counts[i], want)
			}
		}
	}
}

func TestSchedulerFallbacks(t *testing.T) {
	for _, tc := range []struct {
		weights  []float64
		fallback bool
	}{
		{[]float64{7}, true},
		{[]float64{0, 0, 0}, true},
		{[]float64{0, 3, 0}, true},
		{[]float64{4, 4, 4}, false},
		{[]float64{4, 0, 4}, false}, // the missing weight gets the mean
	} {
		s, fallback := newScheduler(tc.weights, counter())
		if fallback != tc.fallback {
			t.Errorf("%v: fallback %v, want %v", tc.weights, fallback, tc.fallback)
		}
		if _, ok := s.(*rrScheduler); !ok {
			t.Errorf("%v: got %T, want round robin", tc.weights, s)
			continue
		}
		counts := make([]int, len(tc.weights))
		for range 3 * len(tc.weights) {
			counts[s.nextIndex()]++
		}
		for i, c := range counts {
			if c != 3 {
				t.Errorf("%v: round robin picked %d %d times of %d, want 3", tc.weights, i, c, 3*len(tc.weights))
			}
		}
	}
}

func TestMissingWeightUsesMean(t *testing.T) {
	s, _ := newScheduler([]float64{1, 0, 3}, counter())
	counts := make([]int, 3)
	for range 60000 {
		counts[s.nextIndex()]++
	}
	// Weights behave as 1, 2, 3.
	if math.Abs(float64(counts[1])-20000) > 200 {
		t.Fatalf("counts %v: the endpoint without weight should get the mean share", counts)
	}
}
