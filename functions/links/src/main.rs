#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let env = gluelinks_clusters::startup();
    let function = links::Links::from_env(&env).await?;
    gluelinks_http::run(|req| function.handle(req)).await
}
