"""Crawls on Scrapyd nodes, collected into the central database (docs/cluster.md).

`nodes` (which node owns which source, credentials from the environment),
`scrapyd` (the HTTP API), `egg` (the deployable project), `collect` (a finished
job's feed ingested and judged as one run).
"""
