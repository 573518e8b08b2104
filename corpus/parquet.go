package corpus

import "fmt"

func openParquet(name string, opt Options) (docSource, error) {
	return nil, fmt.Errorf("%s: Parquet corpora are not supported yet", name)
}
