package compat

import (
	_ "github.com/apache/rocketmq-client-go/v2"
)
