package main

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	pb "google.golang.org/grpc/examples/route_guide/routeguide"
	"google.golang.org/grpc/internal/leakcheck"
)

// start serves the built-in features on a loopback port; the returned
// function stops the client and the server.
func start(t *testing.T) (pb.RouteGuideClient, func()) {
	t.Helper()
	features, err := parseFeatures(defaultFeatures)
	if err != nil {
		t.Fatal(err)
	}
	if len(features) < 30 {
		t.Fatalf("the built-in database has %d features, want a few dozen", len(features))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, newServer(features))
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Serve(lis)
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return pb.NewRouteGuideClient(cc), func() {
		cc.Close()
		s.Stop()
		<-served
	}
}

var (
	eiffel  = &pb.Point{Latitude: 488583700, Longitude: 22944810}
	louvre  = &pb.Point{Latitude: 488606110, Longitude: 23376440}
	nowhere = &pb.Point{Latitude: 1, Longitude: 1}
)

func TestRouteGuide(t *testing.T) {
	defer leakcheck.Check(t)
	c, stop := start(t)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	t.Run("GetFeature", func(t *testing.T) {
		f, err := c.GetFeature(ctx, eiffel)
		if err != nil || f.GetName() != "Eiffel Tower, Champ de Mars, 75007 Paris, France" {
			t.Fatalf("GetFeature(eiffel) = %v, %v", f, err)
		}
		f, err = c.GetFeature(ctx, nowhere)
		if err != nil || f.GetName() != "" || f.GetLocation().GetLatitude() != 1 {
			t.Fatalf("GetFeature(nowhere) = %v, %v; want an unnamed feature at the point", f, err)
		}
	})

	t.Run("ListFeatures", func(t *testing.T) {
		// Greater Paris, corners given high first: five named places and one
		// unnamed point, which is not listed.
		rect := &pb.Rectangle{
			Lo: &pb.Point{Latitude: 490000000, Longitude: 24000000},
			Hi: &pb.Point{Latitude: 487000000, Longitude: 22000000},
		}
		stream, err := c.ListFeatures(ctx, rect)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for {
			f, err := stream.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, f.GetName())
		}
		if len(names) != 5 {
			t.Fatalf("ListFeatures(Paris) = %q, want the 5 named Paris features", names)
		}
	})

	t.Run("RecordRoute", func(t *testing.T) {
		stream, err := c.RecordRoute(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*pb.Point{eiffel, nowhere, louvre} {
			if err := stream.Send(p); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatal(err)
		}
		if sum.GetPointCount() != 3 || sum.GetFeatureCount() != 2 {
			t.Fatalf("summary %v: want 3 points, 2 features", sum)
		}
		// Paris to (0.0000001, 0.0000001) and back is about 2 x 5430 km.
		if d := sum.GetDistance(); d < 10_800_000 || d > 10_900_000 {
			t.Fatalf("distance %d m, want about 10,850 km", d)
		}
	})

	t.Run("RouteChat", func(t *testing.T) {
		stream, err := c.RouteChat(ctx)
		if err != nil {
			t.Fatal(err)
		}
		notes := []*pb.RouteNote{
			{Location: eiffel, Message: "first"},
			{Location: louvre, Message: "second"},
			{Location: eiffel, Message: "third"},
		}
		for _, n := range notes {
			if err := stream.Send(n); err != nil {
				t.Fatal(err)
			}
		}
		stream.CloseSend()
		// Only the third note has an earlier one at its location.
		got, err := stream.Recv()
		if err != nil || got.GetMessage() != "first" {
			t.Fatalf("Recv = %v, %v; want the note \"first\"", got, err)
		}
		if got, err := stream.Recv(); err != io.EOF {
			t.Fatalf("Recv = %v, %v; want io.EOF", got, err)
		}
	})
}

func TestCalcDistance(t *testing.T) {
	// Eiffel Tower to Louvre: about 3.2 km.
	if d := calcDistance(eiffel, louvre); d < 3100 || d > 3300 {
		t.Fatalf("calcDistance(eiffel, louvre) = %d m, want about 3200", d)
	}
	if d := calcDistance(eiffel, eiffel); d != 0 {
		t.Fatalf("calcDistance(p, p) = %d, want 0", d)
	}
}
