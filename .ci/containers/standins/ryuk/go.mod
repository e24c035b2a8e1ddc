module msk.local/ci/ryuk

go 1.26
