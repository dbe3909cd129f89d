"""Seed a moto server with an hourly table for demos and measurements.

Creates a bucket, a database and a table keyed year/month/day/hour, and one
small object per hour for --days days from --start. Talks to the server over
HTTP with boto3 (installed with moto), several requests at a time.

    python scripts/seed_hourly.py --endpoint http://127.0.0.1:5000 --days 7
"""

import argparse
import datetime
from concurrent.futures import ThreadPoolExecutor

import boto3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--bucket", default="glutil-demo")
    ap.add_argument("--prefix", default="events/")
    ap.add_argument("--database", default="demo")
    ap.add_argument("--table", default="events")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--start", default="2019-01-01")
    ap.add_argument("--layout", choices=["hive", "flat"], default="hive")
    args = ap.parse_args()

    session = boto3.session.Session(
        aws_access_key_id="demo", aws_secret_access_key="demo", region_name=args.region
    )
    s3 = session.client("s3", endpoint_url=args.endpoint)
    glue = session.client("glue", endpoint_url=args.endpoint)

    s3.create_bucket(Bucket=args.bucket)
    try:
        glue.create_database(DatabaseInput={"Name": args.database})
    except glue.exceptions.AlreadyExistsException:
        pass
    glue.create_table(
        DatabaseName=args.database,
        TableInput={
            "Name": args.table,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in ("year", "month", "day", "hour")],
            "StorageDescriptor": {
                "Location": f"s3://{args.bucket}/{args.prefix}",
                "Columns": [{"Name": "id", "Type": "string"}],
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )

    start = datetime.datetime.fromisoformat(args.start)
    keys = []
    for h in range(args.days * 24):
        t = start + datetime.timedelta(hours=h)
        if args.layout == "hive":
            folder = f"year={t:%Y}/month={t:%m}/day={t:%d}/hour={t:%H}"
        else:
            folder = f"{t:%Y/%m/%d/%H}"
        keys.append(f"{args.prefix}{folder}/data.json")

    def put(key: str) -> None:
        s3.put_object(Bucket=args.bucket, Key=key, Body=b'{"id":"1"}\n')

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, keys))
    print(f"seeded s3://{args.bucket}/{args.prefix} with {len(keys)} hourly objects; table {args.database}.{args.table}")


if __name__ == "__main__":
    main()
