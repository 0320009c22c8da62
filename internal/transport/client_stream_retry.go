package transport

// HeaderDone is closed once the response headers have arrived or the stream
// has ended without them. A client deciding between several attempts of one
// RPC (hedging) selects on it.
func (s *ClientStream) HeaderDone() <-chan struct{} { return s.headerCh }
