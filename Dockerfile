# classemobile: one static binary on a minimal image, run as a non-root
# user, the SQLite file and the outbox in the /data volume.
#
#   docker build -t classemobile .
#   docker run -p 8080:8080 -v classemobile:/data classemobile serve --demo
#
# With PostgreSQL, set DATABASE_URL (see compose.yaml).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: the SQLite driver is pure Go, the binary static.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/classemobile ./cmd/classemobile \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/classemobile /usr/local/bin/classemobile
# The volume's mount point belongs to the nonroot user (65532), so a new
# named volume is writable by the service.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
ENV ADDR=:8080 DATABASE_URL=/data/classemobile.db OUTBOX_DIR=/data/outbox LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/classemobile"]
CMD ["serve"]
HEALTHCHECK NONE
