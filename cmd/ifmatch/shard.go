package main

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
)

// shard selects the operations of one of n workers (pods of a Kubernetes
// Indexed Job, say) by a hash of their URL, so that every operation on one
// document runs in one shard and the shards never contend with each other.
type shard struct {
	index, count int // count 1: everything
}

// envShardIndex is set by Kubernetes in the pods of an Indexed Job.
const envShardIndex = "JOB_COMPLETION_INDEX"

// resolveShard decides the shard from -shard i/n, or from -shards n and
// $JOB_COMPLETION_INDEX. warn gets notes that are not errors.
func resolveShard(flag string, count int, getenv func(string) string, warn func(string)) (shard, error) {
	if flag != "" {
		i, n, ok := strings.Cut(flag, "/")
		index, err1 := strconv.Atoi(i)
		total, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || total < 1 || index < 0 || index >= total {
			return shard{}, fmt.Errorf("-shard %q: want i/n with 0 <= i < n", flag)
		}
		if count != 0 && count != total {
			return shard{}, fmt.Errorf("-shard %s and -shards %d disagree", flag, count)
		}
		return shard{index, total}, nil
	}
	env := getenv(envShardIndex)
	switch {
	case count < 0:
		return shard{}, fmt.Errorf("-shards %d: want a positive count", count)
	case count == 0:
		if env != "" {
			warn(envShardIndex + " is set but -shards is not: running every operation")
		}
		return shard{0, 1}, nil
	case env == "":
		return shard{}, fmt.Errorf("-shards %d needs -shard i/n or %s", count, envShardIndex)
	}
	index, err := strconv.Atoi(env)
	if err != nil || index < 0 || index >= count {
		return shard{}, fmt.Errorf("%s=%q: want 0 <= index < -shards (%d)", envShardIndex, env, count)
	}
	return shard{index, count}, nil
}

// owns reports whether the operation on rawURL belongs to this shard.
func (s shard) owns(rawURL string) bool {
	if s.count <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(shardKey(rawURL)))
	return h.Sum64()%uint64(s.count) == uint64(s.index)
}

// ownsOp reports whether operation o belongs to this shard. An operation
// without a URL belongs to shard 0, so that exactly one shard reports it.
func (s shard) ownsOp(o *op) bool {
	if o.url == "" {
		return s.index == 0
	}
	return s.owns(o.url)
}

// shardKey spells a URL the same way however its scheme and host were
// cased, so that two spellings of one document land on one shard.
func shardKey(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.Scheme, u.Host, u.Fragment, u.RawFragment = strings.ToLower(u.Scheme), strings.ToLower(u.Host), "", ""
	return u.String()
}

func (s shard) String() string { return fmt.Sprintf("%d/%d", s.index, s.count) }
