module github.com/ringcache/ring/examples/http/e2e

go 1.26.8

replace github.com/ringcache/ring => ../../..

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/ringcache/ring v0.0.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	github.com/mitchellh/hashstructure/v2 v2.0.2 // indirect
)
