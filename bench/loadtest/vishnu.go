package loadtest

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
	vishnuecho "github.com/vishnu-go/vishnu/adapters/echo"
	vishnufiber "github.com/vishnu-go/vishnu/adapters/fiber"
	vishnugin "github.com/vishnu-go/vishnu/adapters/gin"
	vishnu "github.com/vishnu-go/vishnu/core"
	redisstore "github.com/vishnu-go/vishnu/stores/redis"
)

// vishnuSession is a Vishnu session. The managers use AutoSave, so save
// has nothing to do: the middleware commits the keys that changed.
type vishnuSession struct{ s *vishnu.Session }

func (v vishnuSession) getString(key string) (string, bool) { return vishnu.Get[string](v.s, key) }
func (v vishnuSession) getInt(key string) int {
	n, _ := vishnu.Get[int](v.s, key)
	return n
}
func (v vishnuSession) set(key string, x any) error { return v.s.Set(key, x) }
func (v vishnuSession) save() error                 { return nil }

// vishnuManager is the Manager every Vishnu row uses: stores/redis over a
// go-redis client (its default pool), AutoSave, plain-HTTP cookies.
func vishnuManager(cfg Config) (*vishnu.Manager, *redis.Client, error) {
	client := redis.NewClient(&redis.Options{Addr: cfg.RedisAddr, DB: cfg.RedisDB})
	store, err := redisstore.New(client, redisstore.WithPrefix("vishnu:"))
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	// As the store's documentation advises for a deployment: the commit
	// script is loaded at start-up, not by the first request.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.Preload(ctx); err != nil {
		client.Close()
		return nil, nil, err
	}
	m, err := vishnu.New(vishnu.Config{
		Store:    store,
		Secret:   secret,
		AutoSave: true,
		Timeout:  lifetime,
		Cookie:   vishnu.CookieConfig{Insecure: true}, // loopback, plain HTTP
	})
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return m, client, nil
}

func vishnuNetHTTP(cfg Config) (*Server, error) {
	m, client, err := vishnuManager(cfg)
	if err != nil {
		return nil, err
	}
	mux := netHTTPRoutes(func(r *http.Request) session { return vishnuSession{vishnu.FromContext(r.Context())} })
	return netHTTPServer(m.Handler(mux), client), nil
}

func vishnuGin(cfg Config) (*Server, error) {
	m, client, err := vishnuManager(cfg)
	if err != nil {
		return nil, err
	}
	r := gin.New()
	r.Use(vishnugin.Middleware(m))
	for _, rt := range routes {
		r.GET(rt.path, func(c *gin.Context) {
			res := rt.body(vishnuSession{vishnugin.Session(c)}, c.Request.URL.RawQuery)
			c.String(res.status, res.body)
		})
	}
	return netHTTPServer(r, client), nil
}

func vishnuEcho(cfg Config) (*Server, error) {
	m, client, err := vishnuManager(cfg)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.Use(vishnuecho.Middleware(m))
	for _, rt := range routes {
		e.GET(rt.path, func(c echo.Context) error {
			res := rt.body(vishnuSession{vishnuecho.Session(c)}, c.Request().URL.RawQuery)
			return c.String(res.status, res.body)
		})
	}
	return netHTTPServer(e, client), nil
}

func vishnuFiber(cfg Config) (*Server, error) {
	m, client, err := vishnuManager(cfg)
	if err != nil {
		return nil, err
	}
	app := fiberApp()
	app.Use(vishnufiber.Middleware(m))
	fiberRoutes(app, func(c *fiber.Ctx) (session, error) { return vishnuSession{vishnufiber.Session(c)}, nil })
	return fiberListener(app, client), nil
}
