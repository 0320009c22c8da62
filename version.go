package grpc

// Version is the current grpc version.
const Version = "1.85.0"
