package loadtest

import (
	"context"
	"net/http"
	"strconv"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/boj/redistore"
	"github.com/gin-contrib/sessions"
	ginredis "github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	fibersession "github.com/gofiber/fiber/v2/middleware/session"
	fiberredis "github.com/gofiber/storage/redis/v3"
	gorilla "github.com/gorilla/sessions"
	echosession "github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// Each peer runs over its own Redis store, as its documentation sets it up,
// with the same lifetime as Vishnu's sessions and the pool its store has by
// default, except redigo's idle pool (gin-contrib, echo-contrib), which is
// given go-redis's default size (10 per CPU) so that it does not redial.

// goRedisClient is the client of the peers whose stores take a go-redis
// client (scs's goredisstore, fiber's storage).
func goRedisClient(cfg Config) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: cfg.RedisAddr, DB: cfg.RedisDB})
}

const redigoIdle = 20

// scs: LoadAndSave middleware over goredisstore, which commits the whole
// session (gob) after the handler when it was modified.
type scsSession struct {
	sm  *scs.SessionManager
	ctx context.Context
}

func (s scsSession) getString(key string) (string, bool) {
	v, found := s.sm.Get(s.ctx, key).(string)
	return v, found
}
func (s scsSession) getInt(key string) int       { return s.sm.GetInt(s.ctx, key) }
func (s scsSession) set(key string, v any) error { s.sm.Put(s.ctx, key, v); return nil }
func (s scsSession) save() error                 { return nil }

func scsServer(cfg Config) (*Server, error) {
	client := goRedisClient(cfg)
	sm := scs.New()
	sm.Store = goredisstore.NewWithPrefix(client, "scs:")
	sm.Lifetime = lifetime
	mux := netHTTPRoutes(func(r *http.Request) session { return scsSession{sm, r.Context()} })
	return netHTTPServer(sm.LoadAndSave(mux), client), nil
}

// gin-contrib/sessions: its redis store (boj/redistore over redigo), which
// writes the whole session (gob) on Save.
type ginSession struct{ s sessions.Session }

func (g ginSession) getString(key string) (string, bool) {
	v, found := g.s.Get(key).(string)
	return v, found
}
func (g ginSession) getInt(key string) int {
	n, _ := g.s.Get(key).(int)
	return n
}
func (g ginSession) set(key string, v any) error { g.s.Set(key, v); return nil }
func (g ginSession) save() error                 { return g.s.Save() }

func ginContribServer(cfg Config) (*Server, error) {
	store, err := ginredis.NewStoreWithDB(redigoIdle, "tcp", cfg.RedisAddr, "", "", strconv.Itoa(cfg.RedisDB), secret)
	if err != nil {
		return nil, err
	}
	if err := ginredis.SetKeyPrefix(store, "gin:"); err != nil {
		return nil, err
	}
	store.Options(sessions.Options{Path: "/", MaxAge: int(lifetime.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode})
	rs, err := ginredis.GetRedisStore(store)
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.Use(sessions.Sessions("session", store))
	for _, rt := range routes {
		r.GET(rt.path, func(c *gin.Context) {
			res := rt.body(ginSession{sessions.Default(c)}, c.Request.URL.RawQuery)
			c.String(res.status, res.body)
		})
	}
	return netHTTPServer(r, rs), nil
}

// echo-contrib/session: a gorilla store, here boj/redistore (the one
// gin-contrib wraps), which writes the whole session (gob) on Save.
type echoSession struct {
	s *gorilla.Session
	c echo.Context
}

func (e echoSession) getString(key string) (string, bool) {
	v, found := e.s.Values[key].(string)
	return v, found
}
func (e echoSession) getInt(key string) int {
	n, _ := e.s.Values[key].(int)
	return n
}
func (e echoSession) set(key string, v any) error { e.s.Values[key] = v; return nil }
func (e echoSession) save() error                 { return e.s.Save(e.c.Request(), e.c.Response()) }

func echoContribServer(cfg Config) (*Server, error) {
	rs, err := redistore.NewRediStoreWithDB(redigoIdle, "tcp", cfg.RedisAddr, "", "", strconv.Itoa(cfg.RedisDB), secret)
	if err != nil {
		return nil, err
	}
	rs.SetKeyPrefix("echo:")
	rs.SetMaxAge(int(lifetime.Seconds()))
	rs.Options.HttpOnly, rs.Options.SameSite = true, http.SameSiteLaxMode
	e := echo.New()
	e.Use(echosession.Middleware(rs))
	for _, rt := range routes {
		e.GET(rt.path, func(c echo.Context) error {
			s, err := echosession.Get("session", c)
			res := response{}
			if err != nil {
				res = failed(err)
			} else {
				res = rt.body(echoSession{s, c}, c.Request().URL.RawQuery)
			}
			return c.String(res.status, res.body)
		})
	}
	return netHTTPServer(e, rs), nil
}

// fiber: its session package over fiber's Redis storage
// (gofiber/storage/redis), which writes the whole session (gob) on Save.
type fiberSession struct{ s *fibersession.Session }

func (f fiberSession) getString(key string) (string, bool) {
	v, found := f.s.Get(key).(string)
	return v, found
}
func (f fiberSession) getInt(key string) int {
	n, _ := f.s.Get(key).(int)
	return n
}
func (f fiberSession) set(key string, v any) error { f.s.Set(key, v); return nil }
func (f fiberSession) save() error                 { return f.s.Save() }

func fiberServer(cfg Config) (*Server, error) {
	client := goRedisClient(cfg)
	store := fibersession.New(fibersession.Config{
		Storage:        fiberredis.NewFromConnection(client),
		Expiration:     lifetime,
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
	})
	app := fiberApp()
	fiberRoutes(app, func(c *fiber.Ctx) (session, error) {
		s, err := store.Get(c)
		if err != nil {
			return nil, err
		}
		return fiberSession{s}, nil
	})
	return fiberListener(app, client), nil
}
