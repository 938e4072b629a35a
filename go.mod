module github.com/rocketgo/rocketgo

go 1.26.8

require (
	github.com/json-iterator/go v1.1.12
	github.com/panjf2000/gnet/v2 v2.9.7
	github.com/sirupsen/logrus v1.10.2
	github.com/valyala/bytebufferpool v1.0.0
)

require (
	github.com/modern-go/concurrent v0.0.0-20180228061459-e0a39a4cb421 // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	github.com/panjf2000/ants/v2 v2.11.3 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.27.0 // indirect
	golang.org/x/sync v0.11.0 // indirect
	golang.org/x/sys v0.30.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
)
