package peer

import (
	"context"
	"net"
	"testing"
)

type auth struct{}

func (auth) AuthType() string { return "tls" }

func TestString(t *testing.T) {
	var nilPeer *Peer
	tests := []struct {
		p    *Peer
		want string
	}{
		{nilPeer, "Peer<nil>"},
		{&Peer{}, "Peer{Addr: <nil>, LocalAddr: <nil>, AuthInfo: <nil>}"},
		{
			&Peer{Addr: &net.TCPAddr{IP: net.IPv4(1, 2, 3, 4), Port: 5}, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, AuthInfo: auth{}},
			"Peer{Addr: '1.2.3.4:5', LocalAddr: '127.0.0.1:80', AuthInfo: 'tls'}",
		},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("empty context has a peer")
	}
	p := &Peer{}
	got, ok := FromContext(NewContext(context.Background(), p))
	if !ok || got != p {
		t.Fatal("round trip")
	}
}
