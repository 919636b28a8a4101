# lavaan reference for the CFA by full-information ML (Amendment 1), and its listwise sensitivity row.
# Rerun from the repository root (Debian: r-base-core r-cran-lavaan r-cran-jsonlite):
#   Rscript docs/validation/cfa_fiml_validate.R [items.csv] [out.json]
# items.csv: one column per item, raw 1-5 answers, empty = missing (the layout of
# tests/data/measurement_sample.csv; rel_distant is reversed here, as the pipeline does).
# Default: tests/data/measurement_sample.csv -> tests/data/cfa_fiml_lavaan.json.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
input <- if (length(args) >= 1) args[1] else "tests/data/measurement_sample.csv"
output <- if (length(args) >= 2) args[2] else "tests/data/cfa_fiml_lavaan.json"
reverse <- !(length(args) >= 3 && args[3] == "keyed")  # "keyed": items already reverse-keyed

d <- read.csv(input, stringsAsFactors = FALSE)
if (reverse) d$rel_distant <- 6 - d$rel_distant
model <- "
REL =~ rel_know + rel_trust + rel_goodwill + rel_levels + rel_reciprocity + rel_distant
FAC =~ fac_time + fac_resources + fac_devroom + fac_meeting
PRO =~ pro_celebrate + pro_failure + pro_impact + pro_shared
ORG =~ org_strategy + org_culture + org_structure
DUR =~ dur_continue + dur_embedded + dur_commitment
"
items <- c("rel_know", "rel_trust", "rel_goodwill", "rel_levels", "rel_reciprocity", "rel_distant",
           "fac_time", "fac_resources", "fac_devroom", "fac_meeting", "pro_celebrate", "pro_failure",
           "pro_impact", "pro_shared", "org_strategy", "org_culture", "org_structure", "dur_continue",
           "dur_embedded", "dur_commitment")
x <- d[, items]
measures <- c("ntotal", "npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "srmr", "baseline.chisq", "logl", "unrestricted.logl")
one <- function(fit) {
  fm <- fitMeasures(fit, measures)
  ss <- standardizedSolution(fit)
  ss <- ss[ss$op == "=~", ]
  pe <- parameterEstimates(fit)
  pe <- pe[pe$op == "=~", ]
  list(fit = as.list(setNames(as.numeric(fm), measures)),
       loadings = data.frame(factor = pe$lhs, item = pe$rhs, estimate = pe$est, std_loading = ss$est.std))
}
fiml <- cfa(model, data = x, missing = "fiml", estimator = "ML")
listwise <- cfa(model, data = x[complete.cases(x), ], estimator = "ML")
out <- list(lavaan = as.character(packageVersion("lavaan")), R = R.version.string, input = input,
            n_rows = nrow(x), n_complete = sum(complete.cases(x)),
            fiml = one(fiml), listwise = one(listwise))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), output)
cat("wrote", output, "\n")
print(unlist(out$fiml$fit), digits = 10)
print(unlist(out$listwise$fit), digits = 10)
