package main

import (
	"context"
	"io"
	"math"
	"sync"
	"time"

	pb "google.golang.org/grpc/examples/route_guide/routeguide"
	"google.golang.org/protobuf/proto"
)

// routeGuideServer implements pb.RouteGuideServer over a fixed feature list.
type routeGuideServer struct {
	pb.UnimplementedRouteGuideServer
	features []*pb.Feature // read-only after newServer

	mu    sync.Mutex
	notes map[point][]*pb.RouteNote // RouteChat notes by location
}

// point is a comparable form of pb.Point, for map keys.
type point struct{ lat, lng int32 }

func keyOf(p *pb.Point) point { return point{p.GetLatitude(), p.GetLongitude()} }

func newServer(features []*pb.Feature) *routeGuideServer {
	return &routeGuideServer{features: features, notes: make(map[point][]*pb.RouteNote)}
}

// featureAt returns the named feature at p, or nil.
func (s *routeGuideServer) featureAt(p *pb.Point) *pb.Feature {
	for _, f := range s.features {
		if f.GetName() != "" && proto.Equal(f.GetLocation(), p) {
			return f
		}
	}
	return nil
}

// GetFeature returns the feature at a point; one with an empty name if there
// is none.
func (s *routeGuideServer) GetFeature(_ context.Context, p *pb.Point) (*pb.Feature, error) {
	if f := s.featureAt(p); f != nil {
		return f, nil
	}
	return &pb.Feature{Location: p}, nil
}

// ListFeatures streams the named features inside a rectangle, borders
// included; lo and hi may be any two opposite corners.
func (s *routeGuideServer) ListFeatures(rect *pb.Rectangle, stream pb.RouteGuide_ListFeaturesServer) error {
	for _, f := range s.features {
		if f.GetName() != "" && inRange(f.GetLocation(), rect) {
			if err := stream.Send(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// RecordRoute reads the points of a route and summarises it once the client
// is done: points, named features passed, distance and duration.
func (s *routeGuideServer) RecordRoute(stream pb.RouteGuide_RecordRouteServer) error {
	var count, features, distance int32
	var last *pb.Point
	start := time.Now()
	for {
		p, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&pb.RouteSummary{
				PointCount:   count,
				FeatureCount: features,
				Distance:     distance,
				ElapsedTime:  int32(time.Since(start).Seconds()),
			})
		}
		if err != nil {
			return err
		}
		count++
		if s.featureAt(p) != nil {
			features++
		}
		if last != nil {
			distance += calcDistance(last, p)
		}
		last = p
	}
}

// RouteChat answers each note with the notes sent earlier at the same
// location (by any client), then records it.
func (s *routeGuideServer) RouteChat(stream pb.RouteGuide_RouteChatServer) error {
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		k := keyOf(in.GetLocation())
		s.mu.Lock()
		earlier := append([]*pb.RouteNote(nil), s.notes[k]...) // send outside the lock
		s.notes[k] = append(s.notes[k], in)
		s.mu.Unlock()
		for _, n := range earlier {
			if err := stream.Send(n); err != nil {
				return err
			}
		}
	}
}

// inRange reports whether p lies in rect.
func inRange(p *pb.Point, rect *pb.Rectangle) bool {
	lo, hi := rect.GetLo(), rect.GetHi()
	left := min(lo.GetLongitude(), hi.GetLongitude())
	right := max(lo.GetLongitude(), hi.GetLongitude())
	bottom := min(lo.GetLatitude(), hi.GetLatitude())
	top := max(lo.GetLatitude(), hi.GetLatitude())
	return p.GetLongitude() >= left && p.GetLongitude() <= right &&
		p.GetLatitude() >= bottom && p.GetLatitude() <= top
}

// calcDistance is the great-circle distance in metres between two E7 points
// (haversine formula, mean Earth radius).
func calcDistance(p1, p2 *pb.Point) int32 {
	const e7 = 1e7
	const earthRadius = 6371000 // metres
	rad := func(v int32) float64 { return float64(v) / e7 * math.Pi / 180 }
	lat1, lat2 := rad(p1.GetLatitude()), rad(p2.GetLatitude())
	dLat := lat2 - lat1
	dLng := rad(p2.GetLongitude()) - rad(p1.GetLongitude())
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dLng/2)*math.Sin(dLng/2)
	c := 2 * math.Atan2(math.Sqrt(a), math.Sqrt(1-a))
	return int32(earthRadius * c)
}
