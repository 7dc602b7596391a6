package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// A conn is one keep-alive HTTP/1.1 connection of the generator. It writes
// each request by hand and reads the response with net/http's parser, so
// that the generator spends little CPU per request (it shares the machine
// with the server and Redis) and keeps exactly one connection per worker.
type conn struct {
	addr string
	nc   net.Conn
	br   *bufio.Reader
	req  []byte
	body bytes.Buffer
}

// ioTimeout bounds every request, so that a hung server fails the run
// instead of hanging it.
const ioTimeout = 10 * time.Second

func dial(addr string) (*conn, error) {
	c := &conn{addr: addr}
	return c, c.redial()
}

func (c *conn) redial() error {
	if c.nc != nil {
		c.nc.Close()
	}
	nc, err := net.DialTimeout("tcp", c.addr, ioTimeout)
	if err != nil {
		return fmt.Errorf("loadtest: dial %s: %w", c.addr, err)
	}
	c.nc, c.br = nc, bufio.NewReaderSize(nc, 4096)
	return nil
}

func (c *conn) close() {
	if c.nc != nil {
		c.nc.Close()
	}
}

// A reply is what the generator needs from a response. body and setCookie
// are valid until the next get.
type reply struct {
	status    int
	body      []byte
	setCookie string // the first Set-Cookie's name=value, or ""
}

// get sends GET target with the cookie header (name=value, or none when
// empty) and reads the response. After an error the connection is
// unusable; call redial.
func (c *conn) get(target, cookie string) (reply, error) {
	c.req = append(c.req[:0], "GET "...)
	c.req = append(c.req, target...)
	c.req = append(c.req, " HTTP/1.1\r\nHost: "...)
	c.req = append(c.req, c.addr...)
	if cookie != "" {
		c.req = append(c.req, "\r\nCookie: "...)
		c.req = append(c.req, cookie...)
	}
	c.req = append(c.req, "\r\n\r\n"...)
	c.nc.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.nc.Write(c.req); err != nil {
		return reply{}, fmt.Errorf("loadtest: GET %s: %w", target, err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return reply{}, fmt.Errorf("loadtest: GET %s: %w", target, err)
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return reply{}, fmt.Errorf("loadtest: GET %s: body: %w", target, err)
	}
	r := reply{status: resp.StatusCode, body: c.body.Bytes()}
	if lines := resp.Header["Set-Cookie"]; len(lines) > 0 {
		r.setCookie, _, _ = strings.Cut(lines[0], ";")
	}
	if resp.Close {
		// The server is closing the connection: open the next one now, so
		// that the caller's next request does not fail.
		if err := c.redial(); err != nil {
			return r, err
		}
	}
	return r, nil
}
