// Binary server serves the RouteGuide service: a fixed set of named places
// (features), looked up by point or by rectangle, plus route summaries and a
// per-location note board.
//
//	go run ./examples/route_guide/server -port 50051
package main

import (
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"

	"google.golang.org/grpc"
	pb "google.golang.org/grpc/examples/route_guide/routeguide"
)

var (
	port       = flag.Int("port", 50051, "The server port")
	jsonDBFile = flag.String("json_db_file", "", "A JSON file of features to serve instead of the built-in ones")
)

// defaultFeatures is the built-in feature database: a JSON array of
// {"location": {"latitude": E7, "longitude": E7}, "name": "..."}; an empty
// name marks a point with no feature.
//
//go:embed route_guide_db.json
var defaultFeatures []byte

// jsonFeature is the JSON form of one database entry.
type jsonFeature struct {
	Location struct {
		Latitude  int32 `json:"latitude"`
		Longitude int32 `json:"longitude"`
	} `json:"location"`
	Name string `json:"name"`
}

// parseFeatures decodes a feature database.
func parseFeatures(data []byte) ([]*pb.Feature, error) {
	var entries []jsonFeature
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("parsing the feature database: %v", err)
	}
	features := make([]*pb.Feature, 0, len(entries))
	for _, e := range entries {
		features = append(features, &pb.Feature{
			Name:     e.Name,
			Location: &pb.Point{Latitude: e.Location.Latitude, Longitude: e.Location.Longitude},
		})
	}
	return features, nil
}

func main() {
	flag.Parse()
	data := defaultFeatures
	if *jsonDBFile != "" {
		var err error
		if data, err = os.ReadFile(*jsonDBFile); err != nil {
			log.Fatalf("Failed to load default features: %v", err)
		}
	}
	features, err := parseFeatures(data)
	if err != nil {
		log.Fatalf("Failed to load default features: %v", err)
	}
	lis, err := net.Listen("tcp", fmt.Sprintf("localhost:%d", *port))
	if err != nil {
		log.Fatalf("failed to listen: %v", err)
	}
	s := grpc.NewServer()
	pb.RegisterRouteGuideServer(s, newServer(features))
	log.Printf("server listening at %v", lis.Addr())
	if err := s.Serve(lis); err != nil {
		log.Fatalf("failed to serve: %v", err)
	}
}
