module google.golang.org/grpc/interop

go 1.26.0

require google.golang.org/grpc v1.85.0

replace google.golang.org/grpc => ../
