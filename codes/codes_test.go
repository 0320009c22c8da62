package codes

import (
	"encoding/json"
	"testing"
)

func TestString(t *testing.T) {
	for c, want := range map[Code]string{
		OK: "OK", Canceled: "Canceled", DeadlineExceeded: "DeadlineExceeded",
		Unauthenticated: "Unauthenticated", 17: "Code(17)", 1000: "Code(1000)",
	} {
		if got := c.String(); got != want {
			t.Errorf("Code(%d).String() = %q, want %q", uint32(c), got, want)
		}
	}
}

func TestUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Code
		wantErr string
	}{
		{in: `"OK"`, want: OK},
		{in: `"CANCELLED"`, want: Canceled},
		{in: `"UNAUTHENTICATED"`, want: Unauthenticated},
		{in: `14`, want: Unavailable},
		{in: `0`, want: OK},
		{in: `17`, wantErr: "invalid code: 17"},
		{in: `"Canceled"`, wantErr: `invalid code: "\"Canceled\""`},
		{in: `"CANCELED"`, wantErr: `invalid code: "\"CANCELED\""`},
		{in: `-1`, wantErr: `invalid code: "-1"`},
		{in: `""`, wantErr: `invalid code: "\"\""`},
	}
	for _, tt := range tests {
		c := Code(99)
		err := c.UnmarshalJSON([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("UnmarshalJSON(%s) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c != tt.want {
			t.Errorf("UnmarshalJSON(%s) = %v, %v; want %v", tt.in, c, err, tt.want)
		}
	}
}

func TestUnmarshalJSONNull(t *testing.T) {
	c := Internal
	if err := c.UnmarshalJSON([]byte("null")); err != nil || c != Internal {
		t.Fatalf("null: got %v, %v; want unchanged", c, err)
	}
	var nilCode *Code
	if err := nilCode.UnmarshalJSON([]byte(`"OK"`)); err == nil {
		t.Fatal("nil receiver: want error")
	}
}

func TestJSONInStruct(t *testing.T) {
	var v struct{ Codes []Code }
	if err := json.Unmarshal([]byte(`{"Codes":["UNAVAILABLE", 4]}`), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Codes) != 2 || v.Codes[0] != Unavailable || v.Codes[1] != DeadlineExceeded {
		t.Fatalf("got %v", v.Codes)
	}
}
