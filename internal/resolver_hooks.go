package internal

// UserSetDefaultScheme records whether resolver.SetDefaultScheme has been
// called. grpc.NewClient consults it: without an explicit choice it resolves
// scheme-less targets with "dns" rather than the legacy "passthrough".
var UserSetDefaultScheme = false
