# Whistle API: a static binary on a minimal base, run as a non-root user.
# Untested on the development machine (no Docker engine there); see README.
# Base images are pinned by digest (the tag says what the image is, the digest
# decides which one): updating a base is a reviewed commit. The digests were
# not pulled here (no registry access); refresh them with
#   docker buildx imagetools inspect golang:1.26.2-bookworm
#   docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot
FROM golang:1.26.2-bookworm@sha256:47ce5636e9936b2c5cbf708925578ef386b4f8872aec74a67bd13a627d242b19 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/whistle ./backend/cmd/whistle

FROM gcr.io/distroless/static-debian12:nonroot@sha256:2b7c93f6d6648c11f0e80a48558c8f77885eb0445213b8e69a6a0d7c89fc6ae4
COPY --from=build /out/whistle /usr/local/bin/whistle
USER nonroot:nonroot
ENV WHISTLE_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/whistle", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/whistle"]
CMD ["serve"]
