package vishnugin

// fail sends the error response in place of the handler's. None of the
// handler's headers go out, but those of outer middleware (HSTS, CSP) do.
// The response goes out through gin, on the writer the middleware got, so
// that outer middleware (a logger, a compressor) sees it as any other; the
// chain is aborted and err is recorded in c.Errors, as gin's own errors are.
func (w *writer) fail(err error) {
	c := w.c
	resp := w.gate.Replace(w.ResponseWriter.Header(), w.onError != nil)

	// The error handler writes past this writer, whose writes now fail.
	// c.Writer (this writer, or an inner middleware's around it) is put
	// back afterwards, even if the error handler panics, so that the
	// handler's later writes get errResponseReplaced.
	prev := c.Writer
	c.Writer = w.ResponseWriter
	defer func() { c.Writer = prev }()
	c.Abort()
	_ = c.Error(err)
	c.Status(resp.Status)
	if w.onError == nil {
		if len(resp.Body) > 0 {
			// The status may forbid a body (a 204 configured by the
			// application); net/http refuses it then, which is fine.
			_, _ = c.Writer.Write(resp.Body)
		}
	} else {
		// The error handler chooses the body and its type; what the
		// session needs on any response is set already.
		w.onError(c, err)
	}
	c.Writer.WriteHeaderNow()
}
