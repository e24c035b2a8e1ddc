// Offline stand-in for the testcontainers/ryuk image (CI machines cannot pull images, and the Go module proxy
// does not serve github.com/testcontainers/moby-ryuk): the same protocol, written from Ryuk's documented
// behaviour with the standard library only.
//
//   - listens on TCP RYUK_PORT (default 8080) and logs "Started" (Testcontainers waits for that line);
//   - every line a client sends is a filter such as `label=org.testcontainers.session-id=<id>` (several joined
//     with `&` must all match); each is answered `ACK`;
//   - once every client has disconnected and none reconnects within RYUK_RECONNECTION_TIMEOUT (default 10s), or
//     when no client connects within RYUK_CONNECTION_TIMEOUT (default 60s), or on SIGTERM/SIGINT, it removes the
//     containers (never another reaper: label org.testcontainers.ryuk=true), networks, volumes and images that
//     match any filter, through the Docker socket at /var/run/docker.sock, and exits.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	dockerSocket   = "/var/run/docker.sock"
	reaperLabel    = "org.testcontainers.ryuk"
	removeAttempts = 10
)

func durationFromEnv(name string, fallback time.Duration) time.Duration {
	value := os.Getenv(name)
	if value == "" {
		return fallback
	}
	parsed, err := time.ParseDuration(value)
	if err != nil {
		log.Fatalf("%s=%q is not a duration (e.g. 10s): %v", name, value, err)
	}
	return parsed
}

// filterSet is one line from a client: Docker list filters, every one of which must match.
type filterSet map[string][]string

type reaper struct {
	mu            sync.Mutex
	filters       map[string]filterSet
	connections   int
	everConnected bool
	idle          *time.Timer
	done          chan string
}

func (r *reaper) register(line string) error {
	query, err := url.ParseQuery(line)
	if err != nil {
		return err
	}
	set := filterSet{}
	for key, values := range query {
		set[key] = values
	}
	r.mu.Lock()
	r.filters[line] = set
	r.mu.Unlock()
	return nil
}

func (r *reaper) connected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connections++
	r.everConnected = true
	if r.idle != nil {
		r.idle.Stop()
	}
}

func (r *reaper) disconnected(reconnectionTimeout time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connections--
	if r.connections == 0 {
		r.idle = time.AfterFunc(reconnectionTimeout, func() { r.finish("every client disconnected") })
	}
}

func (r *reaper) finish(reason string) {
	select {
	case r.done <- reason:
	default:
	}
}

func (r *reaper) serve(conn net.Conn, reconnectionTimeout time.Duration) {
	r.connected()
	defer r.disconnected(reconnectionTimeout)
	defer conn.Close()
	scanner := bufio.NewScanner(conn)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			continue
		}
		if err := r.register(line); err != nil {
			log.Printf("ignoring filter %q: %v", line, err)
			continue
		}
		log.Printf("adding filter %s", line)
		if _, err := conn.Write([]byte("ACK\n")); err != nil {
			return
		}
	}
}

type docker struct{ client *http.Client }

func newDocker() docker {
	transport := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", dockerSocket)
	}}
	return docker{client: &http.Client{Transport: transport, Timeout: 60 * time.Second}}
}

func (d docker) call(method, path string, query url.Values, into any) error {
	request, err := http.NewRequest(method, "http://docker"+path+"?"+query.Encode(), nil)
	if err != nil {
		return err
	}
	response, err := d.client.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	if response.StatusCode == http.StatusNotFound && method == http.MethodDelete {
		return nil // already gone
	}
	if response.StatusCode >= 300 {
		var problem struct{ Message string }
		_ = json.NewDecoder(response.Body).Decode(&problem)
		return fmt.Errorf("%s %s: %d %s", method, path, response.StatusCode, problem.Message)
	}
	if into != nil {
		return json.NewDecoder(response.Body).Decode(into)
	}
	return nil
}

func encodeFilters(set filterSet) url.Values {
	encoded, _ := json.Marshal(set)
	return url.Values{"filters": {string(encoded)}}
}

// removeMatching lists one kind of object with the filter and removes each, retrying what is still in use.
func (d docker) removeMatching(kind string, set filterSet) int {
	removed := 0
	for attempt := 1; attempt <= removeAttempts; attempt++ {
		targets, err := d.list(kind, set)
		if err != nil {
			log.Printf("listing %s: %v", kind, err)
			return removed
		}
		failed := 0
		for _, target := range targets {
			if err := d.remove(kind, target); err != nil {
				failed++
				log.Printf("removing %s %s (attempt %d): %v", kind, target, attempt, err)
			} else {
				removed++
			}
		}
		if failed == 0 {
			return removed
		}
		time.Sleep(time.Second)
	}
	return removed
}

func (d docker) list(kind string, set filterSet) ([]string, error) {
	query := encodeFilters(set)
	var ids []string
	switch kind {
	case "containers":
		query.Set("all", "1")
		var found []struct {
			ID     string `json:"Id"`
			Labels map[string]string
		}
		if err := d.call(http.MethodGet, "/containers/json", query, &found); err != nil {
			return nil, err
		}
		for _, container := range found {
			if container.Labels[reaperLabel] != "true" {
				ids = append(ids, container.ID)
			}
		}
	case "networks":
		return d.listIDs("/networks", query)
	case "volumes":
		var found struct{ Volumes []struct{ Name string } }
		if err := d.call(http.MethodGet, "/volumes", query, &found); err != nil {
			return nil, err
		}
		for _, volume := range found.Volumes {
			ids = append(ids, volume.Name)
		}
	case "images":
		return d.listIDs("/images/json", query)
	}
	return ids, nil
}

// listIDs: the IDs of what a Docker API list endpoint (networks, images) answers for query.
func (d docker) listIDs(path string, query url.Values) ([]string, error) {
	var found []struct {
		ID string `json:"Id"`
	}
	if err := d.call(http.MethodGet, path, query, &found); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(found))
	for _, item := range found {
		ids = append(ids, item.ID)
	}
	return ids, nil
}

func (d docker) remove(kind, id string) error {
	switch kind {
	case "containers":
		return d.call(http.MethodDelete, "/containers/"+id, url.Values{"force": {"1"}, "v": {"1"}}, nil)
	case "networks":
		return d.call(http.MethodDelete, "/networks/"+id, nil, nil)
	case "volumes":
		return d.call(http.MethodDelete, "/volumes/"+id, nil, nil)
	default:
		return d.call(http.MethodDelete, "/images/"+id, url.Values{"force": {"1"}}, nil)
	}
}

func (r *reaper) prune(d docker) {
	r.mu.Lock()
	sets := make([]filterSet, 0, len(r.filters))
	for _, set := range r.filters {
		sets = append(sets, set)
	}
	r.mu.Unlock()
	counts := map[string]int{}
	// Containers first: networks and volumes in use cannot be removed.
	for _, kind := range []string{"containers", "networks", "volumes", "images"} {
		for _, set := range sets {
			counts[kind] += d.removeMatching(kind, set)
		}
	}
	log.Printf("removed %d container(s), %d network(s), %d volume(s), %d image(s)",
		counts["containers"], counts["networks"], counts["volumes"], counts["images"])
}

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	port := os.Getenv("RYUK_PORT")
	if port == "" {
		port = "8080"
	}
	connectionTimeout := durationFromEnv("RYUK_CONNECTION_TIMEOUT", 60*time.Second)
	reconnectionTimeout := durationFromEnv("RYUK_RECONNECTION_TIMEOUT", 10*time.Second)

	listener, err := net.Listen("tcp", ":"+port)
	if err != nil {
		log.Fatalf("listen on :%s: %v", port, err)
	}
	r := &reaper{filters: map[string]filterSet{}, done: make(chan string, 1)}
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go r.serve(conn, reconnectionTimeout)
		}
	}()
	time.AfterFunc(connectionTimeout, func() {
		r.mu.Lock()
		seen := r.everConnected
		r.mu.Unlock()
		if !seen {
			r.finish(fmt.Sprintf("no client connected within %s", connectionTimeout))
		}
	})
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() { r.finish(fmt.Sprintf("signal %s", <-signals)) }()

	log.Printf("Started on port %s (reconnection timeout %s)", port, reconnectionTimeout)
	reason := <-r.done
	_ = listener.Close()
	log.Printf("shutting down: %s", reason)
	r.prune(newDocker())
}
