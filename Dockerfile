# Whistle API: a static binary on a minimal base, run as a non-root user.
# Untested on the development machine (no Docker engine there); see README.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/whistle ./backend/cmd/whistle

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/whistle /usr/local/bin/whistle
USER nonroot:nonroot
ENV WHISTLE_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/whistle", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/whistle"]
CMD ["serve"]
