package main

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	pb "google.golang.org/grpc/examples/helloworld/helloworld"
	"google.golang.org/grpc/internal/leakcheck"
)

func TestSayHello(t *testing.T) {
	defer leakcheck.Check(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &server{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.Serve(lis)
	}()
	defer func() {
		s.Stop()
		<-served
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := pb.NewGreeterClient(cc).SayHello(ctx, &pb.HelloRequest{Name: "gopher"})
	if err != nil {
		t.Fatalf("SayHello: %v", err)
	}
	if got, want := r.GetMessage(), "Hello gopher"; got != want {
		t.Fatalf("SayHello = %q, want %q", got, want)
	}
}
