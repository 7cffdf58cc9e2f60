module example.com/app

go 1.22

frobnicate github.com/google/uuid v1.6.0
