"""HTTP plumbing shared by the platform's API Gateway REST functions (orders API, payment webhook).

Why a package of its own: each Lambda asset ships only its own package, the packages it declares
and the shared ones, so code two APIs need cannot live in either API's package. This one holds
only what is the same for every JSON API (the refusal errors, the checks on a JSON body and the
JSON responses); each API keeps its own limits, routes and domain errors.
"""
